import { ValidationPipe } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import { type ErrorDetail, RequestInvalid } from './errors';

const INDEX = /^\d+$/;

function join(parent: string, property: string): string {
  if (INDEX.test(property)) return `${parent}[${property}]`;
  return parent ? `${parent}.${property}` : property;
}

/** Problems listed in one answer; the rest are counted in a last entry. */
export const MAX_DETAILS = 20;

/**
 * class-validator's error tree as one detail per bad field, with dotted paths and `[i]` for
 * array items: walked with an explicit stack (no recursion, no spread of a huge list), and
 * cut at `max` details with one more saying how many were left out.
 */
export function validationDetails(errors: ValidationError[], parent = '', max = MAX_DETAILS): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  let leftOut = 0;
  const stack: { error: ValidationError; parent: string }[] = [];
  for (let i = errors.length - 1; i >= 0; i--) stack.push({ error: errors[i], parent });
  while (stack.length > 0) {
    const { error, parent: path } = stack.pop() as { error: ValidationError; parent: string };
    const field = join(path, error.property);
    const constraints = error.constraints ? Object.values(error.constraints) : [];
    if (constraints.length > 0) {
      // class-validator names the property alone; the path says where it is.
      if (details.length < max) details.push({ field: field || 'body', message: constraints.join('; ') });
      else leftOut++;
    }
    const children = error.children ?? [];
    for (let i = children.length - 1; i >= 0; i--) stack.push({ error: children[i], parent: field });
  }
  if (leftOut > 0) details.push({ field: 'body', message: `${leftOut} more problem${leftOut === 1 ? '' : 's'} not listed` });
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
