/** Why a command was refused. The HTTP layer maps these to 404 / 409 / 422. */

export interface FieldProblem {
  field: string;
  message: string;
  code?: string;
  platform?: string;
}

export class PostNotFound extends Error {
  constructor(readonly postId: string) {
    super(`post ${postId} not found`);
    this.name = 'PostNotFound';
  }
}

export class PostConflict extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PostConflict';
  }
}

export class PostInvalid extends Error {
  constructor(
    message: string,
    readonly details: FieldProblem[],
  ) {
    super(message);
    this.name = 'PostInvalid';
  }
}
