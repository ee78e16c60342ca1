import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { PostInvalid, type FieldProblem } from '../../domain';

/**
 * Keys that turn plain JSON into something else on its way to a DTO: class-transformer
 * takes an object's own `constructor` for its class (and throws when it is none), and
 * `__proto__` names the prototype. Inside a post body they can only be mistakes or attacks.
 */
const RESERVED_KEYS = new Set(['__proto__', 'constructor']);
/** Deeper than any post field (platform_settings.<platform>.<setting>[i] is 4); the transformer recurses. */
export const MAX_BODY_DEPTH = 12;
const MAX_REPORTED = 20;

function pathOf(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/**
 * Problems that must stop a body before it is transformed into a DTO: reserved keys
 * below the top level (unknown top-level fields are simply dropped) and nesting deeper
 * than `MAX_BODY_DEPTH`. Walks iteratively: the body itself may be arbitrarily deep.
 */
export function bodyShapeProblems(body: unknown): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const pending: { value: unknown; path: string; depth: number }[] = [{ value: body, path: '', depth: 0 }];
  while (pending.length > 0 && problems.length < MAX_REPORTED) {
    const { value, path, depth } = pending.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_BODY_DEPTH) {
      problems.push({ field: path, message: `nested more than ${MAX_BODY_DEPTH} levels deep` });
      continue;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => pending.push({ value: item, path: pathOf(path, i), depth: depth + 1 }));
      continue;
    }
    for (const key of Object.keys(value)) {
      if (depth > 0 && RESERVED_KEYS.has(key)) {
        problems.push({ field: pathOf(path, key), message: `"${key}" is a reserved name` });
        continue;
      }
      pending.push({ value: (value as Record<string, unknown>)[key], path: pathOf(path, key), depth: depth + 1 });
    }
  }
  return problems;
}

/** Runs before the pipes, so the validation pipe never sees such a body. */
@Injectable()
export class RefuseUnsafeBodies implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const problems = bodyShapeProblems(context.switchToHttp().getRequest<{ body?: unknown }>().body);
    if (problems.length > 0) throw new PostInvalid(`${problems[0].field}: ${problems[0].message}`, problems);
    return next.handle();
  }
}
