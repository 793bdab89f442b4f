/**
 * QuickBooks' error bodies, as the fake answers them (docs/quickbooks.md §5 Errors and faults):
 * the API's capitalised `Fault` envelope for validation errors, and the gateway's lowercase
 * `fault` envelope for authentication, authorization and throttling.
 */
import type { Json } from './types.ts';

/** A refusal on its way to the client: the HTTP status and the body QuickBooks would send. */
export class Fault extends Error {
  constructor(
    readonly status: number,
    readonly body: Json,
  ) {
    super(JSON.stringify(body));
  }
}

/** A 400 `ValidationFault` with one error. */
export function validationFault(code: string, message: string, detail?: string, element = ''): Fault {
  return new Fault(400, {
    Fault: { Error: [{ Message: message, Detail: detail ?? message, code, element }], type: 'ValidationFault' },
  });
}

/** 2020: a required field is missing; QuickBooks names it in Detail and element. */
export function missingParam(name: string): Fault {
  return validationFault(
    '2020',
    'Required param missing, need to supply the required value for the API',
    `Required parameter ${name} is missing in the request`,
    name,
  );
}

/** 2050: a string is longer than QuickBooks stores. */
export function tooLong(detail: string, element: string): Fault {
  return validationFault(
    '2050',
    'String length is either shorter or longer than supported by specification',
    detail,
    element,
  );
}

/** 6000: a business rule refused the request. */
export function businessRule(detail: string): Fault {
  return validationFault('6000', 'A business validation error has occurred while processing your request', detail);
}

/** 610: the object does not exist (or, for names, is inactive). */
export function objectNotFound(detail: string): Fault {
  return validationFault('610', 'Object Not Found', detail);
}

/** 500: an operation this entity does not support. */
export function unsupportedOperation(detail: string): Fault {
  return validationFault('500', 'Unsupported Operation', detail);
}

/** 5010: the SyncToken sent is not the current one. */
export function staleObject(detail: string): Fault {
  return validationFault('5010', 'Stale Object Error', detail);
}

/** QuickBooks' wording when a referenced name (account, customer…) is inactive or unknown. */
export const INACTIVE_NAME =
  "Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.";
/** QuickBooks' wording when a transaction is gone. */
export const DELETED_TRANSACTION = 'Object Not Found : Another user has deleted this transaction.';

/** The gateway's envelope (401, 403, 429): lowercase keys, a padded error code, empty siblings. */
export function gatewayFault(status: number, code: string, label: string, detail: string, type: string): Json {
  return {
    warnings: null,
    intuitObject: null,
    fault: {
      error: [
        {
          message: `message=${label}; errorCode=${code.padStart(6, '0')}; statusCode=${status}`,
          detail,
          code,
          element: null,
        },
      ],
      type,
    },
    report: null,
    queryResponse: null,
    batchItemResponse: [],
    attachableResponse: [],
    syncErrorResponse: null,
    requestId: null,
    status: null,
    cdcresponse: [],
  };
}

/** A 5xx `SystemFault`, as QuickBooks answers an internal failure. */
export function systemFault(message: string, detail: string, code = '10000'): Json {
  return { Fault: { Error: [{ Message: message, Detail: detail, code, element: '' }], type: 'SystemFault' } };
}
