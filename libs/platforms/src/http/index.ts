export { headerValue, parseRetryAfter } from './retry-after';
export type { HeaderSource, RetryAfterOptions } from './retry-after';
export { DEFAULT_REQUEST_TIMEOUT_MS, fetchFailure, requestJson } from './request-json';
export type { JsonResponse, RequestJsonInit } from './request-json';
export { cleanPlatformText, httpFailure, MAX_PLATFORM_MESSAGE, platformCode, platformMessage, reconnectMessage } from './failure';
export type { HttpFailureOptions } from './failure';
