import { PlatformRules, rulesOf } from '../../../domain';

export const SLACK_RULES: PlatformRules = rulesOf('slack');
export const SLACK_NAME = SLACK_RULES.name;

/** Web API base; an account's `base_url` points at another (a test fake, an Enterprise Grid proxy). */
export const SLACK_API_BASE = 'https://slack.com/api';
/** files.getUploadURLExternal refuses `alt_txt` over 1,000 characters (`alt_txt_too_large`). */
export const SLACK_MAX_ALT_TEXT = SLACK_RULES.media.maxAltText ?? 1000;
/** The largest file Slack takes: 1 GB. */
export const SLACK_MAX_FILE_BYTES = 1_000_000_000;

/** Channel, private channel (legacy group) and DM ids; only these work where the API wants an id. */
export const SLACK_CONVERSATION_ID = /^[CGD][A-Z0-9]{8,}$/;
