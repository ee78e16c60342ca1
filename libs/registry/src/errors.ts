/** Why the registry refused an input or could not find a record. The HTTP layer maps these to 422 / 404. */

export interface RegistryProblem {
  /** Path of the bad field in the request body, e.g. `credentials.app_password`. */
  field: string;
  message: string;
}

export class RegistryInvalid extends Error {
  constructor(readonly details: RegistryProblem[]) {
    super(details.map((d) => `${d.field}: ${d.message}`).join('; '));
    this.name = 'RegistryInvalid';
  }
}

export class RegistryNotFound extends Error {
  constructor(
    readonly kind: 'workspace' | 'api_key' | 'account' | 'webhook',
    readonly id: string,
  ) {
    super(`${kind} ${id} not found`);
    this.name = 'RegistryNotFound';
  }
}

/** A sealed value could not be opened: wrong key, or the stored bytes were altered. */
export class CredentialDecryptError extends Error {
  constructor(reason: string) {
    super(`sealed value cannot be decrypted: ${reason}`);
    this.name = 'CredentialDecryptError';
  }
}

export class EncryptionKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncryptionKeyError';
  }
}

/** Throws `RegistryInvalid` naming every problem, when there is any. */
export function invalidIf(problems: RegistryProblem[]): void {
  if (problems.length > 0) throw new RegistryInvalid(problems);
}
