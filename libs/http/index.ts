export { createHttpApp } from './src/create-http-app';
export { HttpModule } from './src/http.module';
export { ApiError, RequestInvalid, errorBody, type ErrorBody, type ErrorDetail, type ErrorCode } from './src/errors';
export { ApiExceptionFilter } from './src/exception-filter';
export { createValidationPipe, validationDetails } from './src/validation';
export { requestFingerprint, BODY_LIMIT_BYTES } from './src/pipeline';
export { openApiDocument } from './src/docs/openapi';
export { type PlatformRequest } from './src/request-state';
