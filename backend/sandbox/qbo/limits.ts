/**
 * The limits and lifetimes QuickBooks Online documents, as the fake enforces them
 * (docs/quickbooks.md §1 OAuth and tokens, §6 Limits and throttling).
 */

/** QuickBooks allows 500 requests per minute per realm. */
export const QBO_REQUESTS_PER_MINUTE = 500;
/** …and at most 10 concurrent requests per realm and app. */
export const QBO_MAX_CONCURRENT = 10;
/** Access tokens live one hour. */
export const ACCESS_TOKEN_TTL_S = 3600;
/** Refresh tokens roll forward about 101 days from each use. */
export const REFRESH_TOKEN_TTL_S = 8_726_400;
/** The refresh token value rotates about every 24 hours… */
export const REFRESH_ROTATE_AFTER_MS = 24 * 3600 * 1000;
/** …and a superseded value keeps working for 24 hours more. */
export const OLD_REFRESH_GRACE_MS = 24 * 3600 * 1000;
/** Five-year absolute cap on a grant (2025 policy). */
export const REFRESH_HARD_TTL_S = 5 * 365 * 24 * 3600;
/** Authorization codes are short-lived; Intuit does not publish the number, 5 minutes is typical. */
export const AUTH_CODE_TTL_MS = 5 * 60 * 1000;
/** CDC looks back at most 30 days and returns at most 1000 objects. */
export const CDC_MAX_LOOKBACK_MS = 30 * 24 * 3600 * 1000;
export const CDC_MAX_OBJECTS = 1000;
/** Batch requests carry at most 30 items. */
export const BATCH_MAX_ITEMS = 30;
/** requestid is at most 50 characters. */
export const REQUEST_ID_MAX_CHARS = 50;
/** DocNumber is at most 21 characters. */
export const DOC_NUMBER_MAX_CHARS = 21;
/** A journal entry line's Description and an entry's PrivateNote are at most 4000 characters. */
export const NOTE_MAX_CHARS = 4000;
/** An account name is at most 100 characters. */
export const ACCOUNT_NAME_MAX_CHARS = 100;
