import { ValidationPipe } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import { type ErrorDetail, RequestInvalid } from './errors';

const INDEX = /^\d+$/;

function join(parent: string, property: string): string {
  if (INDEX.test(property)) return `${parent}[${property}]`;
  return parent ? `${parent}.${property}` : property;
}

/** class-validator's error tree as one detail per bad field, with dotted paths and `[i]` for array items. */
export function validationDetails(errors: ValidationError[], parent = ''): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const error of errors) {
    const field = join(parent, error.property);
    const constraints = error.constraints ? Object.values(error.constraints) : [];
    if (constraints.length > 0) {
      // class-validator names the property alone; the path says where it is.
      details.push({ field: field || 'body', message: constraints.join('; ') });
    }
    if (error.children && error.children.length > 0) details.push(...validationDetails(error.children, field));
  }
  return details;
}

/**
 * The global pipe: unknown fields are dropped (not an error), values are turned into the
 * DTO classes, and failures become `422 validation_error` naming each field.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: false,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors: ValidationError[]) => {
      const details = validationDetails(errors);
      return new RequestInvalid(details.length > 0 ? details : [{ field: 'body', message: 'the request body is invalid' }]);
    },
  });
}
