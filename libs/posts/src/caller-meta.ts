import type { RequestContext } from '../../wiring';
import type { CommandMeta } from './post-commands';

/** Events caused through the API are attributed to the API key, in the key's workspace. */
export function metaOf(caller: RequestContext): CommandMeta {
  return { workspace_id: caller.workspace_id, actor: caller.key_id, request_id: caller.request_id };
}
