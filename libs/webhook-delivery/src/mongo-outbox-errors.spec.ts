import { MongoBulkWriteError, MongoServerError, type WriteError } from 'mongodb';
import { onlyDuplicateKeys } from './mongo-outbox';

/** Bulk errors as the driver builds them (write errors as plain `{code, index, errmsg}`, the getters the driver's WriteError has): `code` is the first write error's, the rest are in `writeErrors`. */
const bulkError = (...codes: number[]) =>
  new MongoBulkWriteError(
    { message: 'bulk write failed', code: codes[0], writeErrors: codes.map((code, index) => ({ code, index, errmsg: `error ${code}`} as unknown as WriteError)) } as never,
    {} as never,
  );

describe('webhook outbox: which bulk errors are only duplicate deliveries', () => {
  it('duplicates alone are the guard at work', () => {
    expect(onlyDuplicateKeys(bulkError(11000))).toBe(true);
    expect(onlyDuplicateKeys(bulkError(11000, 11000))).toBe(true);
  });

  it('a real failure after a duplicate is not swallowed, though the error code says E11000', () => {
    const error = bulkError(11000, 121); // 121: document failed validation
    expect(error.code).toBe(11000);
    expect(onlyDuplicateKeys(error)).toBe(false);
  });

  it('other errors are failures', () => {
    expect(onlyDuplicateKeys(bulkError(121))).toBe(false);
    expect(onlyDuplicateKeys(new MongoServerError({ message: 'not primary', code: 10107 }))).toBe(false);
    expect(onlyDuplicateKeys(new Error('network'))).toBe(false);
  });
});
