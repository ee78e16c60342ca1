import { ValidateBy, type ValidationOptions } from 'class-validator';

/** An object whose every value is a string (credentials): `{"access_token": "..."}`. */
export function IsStringRecord(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isStringRecord',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string'),
        defaultMessage: () => '$property must be an object whose values are strings',
      },
    },
    options,
  );
}
