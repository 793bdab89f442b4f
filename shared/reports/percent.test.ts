// Displayed percentages are exact and rounded once, half to even: never through a float.
import { displayPercent } from './percent.ts';

describe('displayPercent', () => {
  it('moves the ratio two places and rounds half to even at two places', () => {
    expect(displayPercent('0.9731')).toBe('97.31 %');
    expect(displayPercent('1.2')).toBe('120.00 %');
    expect(displayPercent('0')).toBe('0.00 %');
    expect(displayPercent('-0.5')).toBe('-50.00 %');
    // 97.315 and 97.325: the half goes to the even digit.
    expect(displayPercent('0.97315')).toBe('97.32 %');
    expect(displayPercent('0.97325')).toBe('97.32 %');
    // Longer than four places (the old digit-slicing read this as 9731.56 %).
    expect(displayPercent('0.973156')).toBe('97.32 %');
  });

  it('is exact where a float is not: 1.0150…01 % rounds up, 1.015 as a double does not', () => {
    expect(displayPercent('0.0101500000000000000001')).toBe('1.02 %');
    expect(displayPercent('12345678901234567.89')).toBe('1234567890123456789.00 %');
  });

  it('shows a dash without a ratio and leaves text it cannot read unchanged', () => {
    expect(displayPercent(null)).toBe('–');
    expect(displayPercent('n/a')).toBe('n/a');
  });
});
