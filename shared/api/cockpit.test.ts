// The cockpit's query schemas refuse what a person could mistype, with the field named.
import { MetricsQuerySchema, RpoQuerySchema } from './cockpit.ts';

describe('cockpit queries', () => {
  it('accepts a real as-of date and refuses one that does not exist', () => {
    expect(RpoQuerySchema.parse({ as_of: '2026-02-28' })).toEqual({ as_of: '2026-02-28' });
    expect(RpoQuerySchema.safeParse({ as_of: '2026-02-30' }).success).toBe(false);
    expect(RpoQuerySchema.safeParse({ as_of: '28/02/2026' }).success).toBe(false);
    expect(RpoQuerySchema.safeParse({ extra: '1' }).success).toBe(false);
  });

  it('defaults metrics to twelve months by month and bounds the range', () => {
    expect(MetricsQuerySchema.parse({})).toEqual({ months: 12, granularity: 'month' });
    expect(MetricsQuerySchema.parse({ months: '3', granularity: 'day' })).toEqual({ months: 3, granularity: 'day' });
    expect(MetricsQuerySchema.safeParse({ months: '0' }).success).toBe(false);
    expect(MetricsQuerySchema.safeParse({ months: '25' }).success).toBe(false);
    expect(MetricsQuerySchema.safeParse({ granularity: 'week' }).success).toBe(false);
  });
});
