/**
 * The chart of accounts by role (`docs/accounting.md §1a`). A role says what an account is for; each
 * tenant maps every role to one of its QuickBooks accounts. Product rules and bundle components
 * may name their own revenue account; such accounts still carry the role `revenue`.
 */
export const ACCOUNT_ROLES = [
  'receivable',
  'unbilled_receivable',
  'cash_clearing',
  'unmatched_cash',
  'bank',
  'external_asset',
  'deferred_revenue',
  'deferred_discounts',
  'customer_balance',
  'tax_liability',
  'revenue',
  'discounts',
  'refunds',
  'credit_notes',
  'disputes',
  'voids',
  'bad_debt',
  'fees',
  'platform_fees',
  'connect_transfers',
  'application_fees',
  'fx_gain_loss',
  'recoveries',
  'other_loss',
  'excluded',
  'shipping',
  'fx_unrealized',
  'prepaid_credits',
  'stored_value',
  'breakage',
  'escheat_liability',
  'connected_payable',
] as const;

export type AccountRole = (typeof ACCOUNT_ROLES)[number];

export type AccountKind =
  | 'asset'
  | 'contra_liability'
  | 'liability'
  | 'income'
  | 'contra_income'
  | 'expense'
  | 'other_income'
  | 'other_expense';

export interface RoleInfo {
  kind: AccountKind;
  /** +1 when the account normally carries a debit balance, -1 for credit. */
  normal: 1 | -1;
  /** Name used until the tenant maps the role to its own account. */
  defaultName: string;
  /** QuickBooks AccountType / AccountSubType we suggest when creating a missing account. */
  qbo: { type: string; subType: string };
}

export const ROLE_INFO: Record<AccountRole, RoleInfo> = {
  receivable: {
    kind: 'asset',
    normal: 1,
    defaultName: 'Stripe Receivables',
    qbo: { type: 'Other Current Asset', subType: 'OtherCurrentAssets' },
  },
  unbilled_receivable: {
    kind: 'asset',
    normal: 1,
    defaultName: 'Unbilled Receivables',
    qbo: { type: 'Other Current Asset', subType: 'OtherCurrentAssets' },
  },
  cash_clearing: {
    kind: 'asset',
    normal: 1,
    defaultName: 'Stripe Balance',
    qbo: { type: 'Bank', subType: 'CashOnHand' },
  },
  unmatched_cash: {
    kind: 'asset',
    normal: 1,
    defaultName: 'Unmatched Stripe Cash',
    qbo: { type: 'Other Current Asset', subType: 'OtherCurrentAssets' },
  },
  bank: { kind: 'asset', normal: 1, defaultName: 'Bank', qbo: { type: 'Bank', subType: 'Checking' } },
  external_asset: {
    kind: 'asset',
    normal: 1,
    defaultName: 'Payments Received Outside Stripe',
    qbo: { type: 'Other Current Asset', subType: 'UndepositedFunds' },
  },
  deferred_revenue: {
    kind: 'liability',
    normal: -1,
    defaultName: 'Deferred Revenue',
    qbo: { type: 'Other Current Liability', subType: 'DeferredRevenue' },
  },
  deferred_discounts: {
    kind: 'contra_liability',
    normal: 1,
    defaultName: 'Deferred Discounts',
    qbo: { type: 'Other Current Liability', subType: 'OtherCurrentLiabilities' },
  },
  customer_balance: {
    kind: 'liability',
    normal: -1,
    defaultName: 'Customer Credit Balances',
    qbo: { type: 'Other Current Liability', subType: 'OtherCurrentLiabilities' },
  },
  tax_liability: {
    kind: 'liability',
    normal: -1,
    defaultName: 'Sales Tax Payable',
    qbo: { type: 'Other Current Liability', subType: 'SalesTaxPayable' },
  },
  revenue: { kind: 'income', normal: -1, defaultName: 'Revenue', qbo: { type: 'Income', subType: 'ServiceFeeIncome' } },
  discounts: {
    kind: 'contra_income',
    normal: 1,
    defaultName: 'Discounts',
    qbo: { type: 'Income', subType: 'DiscountsRefundsGiven' },
  },
  refunds: {
    kind: 'contra_income',
    normal: 1,
    defaultName: 'Refunds',
    qbo: { type: 'Income', subType: 'DiscountsRefundsGiven' },
  },
  credit_notes: {
    kind: 'contra_income',
    normal: 1,
    defaultName: 'Credit Notes',
    qbo: { type: 'Income', subType: 'DiscountsRefundsGiven' },
  },
  disputes: {
    kind: 'contra_income',
    normal: 1,
    defaultName: 'Disputes',
    qbo: { type: 'Income', subType: 'DiscountsRefundsGiven' },
  },
  voids: {
    kind: 'contra_income',
    normal: 1,
    defaultName: 'Voided Invoices',
    qbo: { type: 'Income', subType: 'DiscountsRefundsGiven' },
  },
  bad_debt: {
    kind: 'expense',
    normal: 1,
    defaultName: 'Bad Debt',
    qbo: { type: 'Expense', subType: 'BadDebts' },
  },
  fees: { kind: 'expense', normal: 1, defaultName: 'Stripe Fees', qbo: { type: 'Expense', subType: 'BankCharges' } },
  platform_fees: {
    kind: 'expense',
    normal: 1,
    defaultName: 'Platform Fees',
    qbo: { type: 'Expense', subType: 'BankCharges' },
  },
  connect_transfers: {
    kind: 'expense',
    normal: 1,
    defaultName: 'Transfers to Connected Accounts',
    qbo: { type: 'Expense', subType: 'OtherMiscellaneousServiceCost' },
  },
  application_fees: {
    kind: 'income',
    normal: -1,
    defaultName: 'Application Fee Revenue',
    qbo: { type: 'Income', subType: 'ServiceFeeIncome' },
  },
  fx_gain_loss: {
    kind: 'other_income',
    normal: -1,
    defaultName: 'Exchange Gain or Loss',
    qbo: { type: 'Other Expense', subType: 'ExchangeGainOrLoss' },
  },
  recoveries: {
    kind: 'other_income',
    normal: -1,
    defaultName: 'Recoveries',
    qbo: { type: 'Other Income', subType: 'OtherMiscellaneousIncome' },
  },
  other_loss: {
    kind: 'other_expense',
    normal: 1,
    defaultName: 'Other Losses',
    qbo: { type: 'Other Expense', subType: 'OtherMiscellaneousExpense' },
  },
  excluded: {
    kind: 'other_income',
    normal: -1,
    defaultName: 'Excluded Amounts',
    qbo: { type: 'Other Income', subType: 'OtherMiscellaneousIncome' },
  },
  shipping: {
    kind: 'income',
    normal: -1,
    defaultName: 'Shipping Revenue',
    qbo: { type: 'Income', subType: 'OtherPrimaryIncome' },
  },
  fx_unrealized: {
    kind: 'other_income',
    normal: -1,
    defaultName: 'Unrealized Exchange Gain or Loss',
    qbo: { type: 'Other Expense', subType: 'ExchangeGainOrLoss' },
  },
  prepaid_credits: {
    kind: 'liability',
    normal: -1,
    defaultName: 'Prepaid Billing Credits',
    qbo: { type: 'Other Current Liability', subType: 'DeferredRevenue' },
  },
  stored_value: {
    kind: 'liability',
    normal: -1,
    defaultName: 'Gift Cards and Stored Value',
    qbo: { type: 'Other Current Liability', subType: 'OtherCurrentLiabilities' },
  },
  breakage: {
    kind: 'income',
    normal: -1,
    defaultName: 'Breakage Revenue',
    qbo: { type: 'Income', subType: 'OtherPrimaryIncome' },
  },
  escheat_liability: {
    kind: 'liability',
    normal: -1,
    defaultName: 'Unclaimed Property Payable',
    qbo: { type: 'Other Current Liability', subType: 'OtherCurrentLiabilities' },
  },
  connected_payable: {
    kind: 'liability',
    normal: -1,
    defaultName: 'Due to Connected Accounts',
    qbo: { type: 'Other Current Liability', subType: 'OtherCurrentLiabilities' },
  },
};

/** Presentation choices that change a role's kind: `bad_debt_as_contra` (a tenant setting). */
export interface RolePresentation {
  bad_debt_as_contra?: boolean | undefined;
}

/** Bad debt presented as an implicit price concession: contra revenue under an Income account. */
const BAD_DEBT_AS_CONTRA: RoleInfo = {
  kind: 'contra_income',
  normal: 1,
  defaultName: 'Bad Debt',
  qbo: { type: 'Income', subType: 'DiscountsRefundsGiven' },
};

/**
 * A role's kind and suggested QuickBooks type for a tenant: `ROLE_INFO`, except that bad debt is
 * an expense (a credit loss) unless the tenant presents it as contra revenue (`bad_debt_as_contra`).
 */
export function roleInfo(role: AccountRole, presentation?: RolePresentation): RoleInfo {
  if (role === 'bad_debt' && presentation?.bad_debt_as_contra) return BAD_DEBT_AS_CONTRA;
  return ROLE_INFO[role];
}

export function isAccountRole(v: string): v is AccountRole {
  return (ACCOUNT_ROLES as readonly string[]).includes(v);
}
