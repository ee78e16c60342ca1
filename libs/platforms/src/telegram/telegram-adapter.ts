import { JsonResponse, requestJson, RequestJsonInit } from '../http/request-json';
import { fitImage } from '../media/fit-image';
import { MediaAttachment, PlatformAdapter, PlatformError, SegmentRef, SegmentRequest } from '../port';
import { telegramFailure } from './errors';
import {
  albumForm,
  botOf,
  methodUrl,
  redactToken,
  replyTarget,
  segmentProblems,
  segmentRefOf,
  sendMessageBody,
  settingsOf,
  singleFileForm,
  singleFileMethod,
  TelegramBot,
  TelegramFile,
  TelegramMessage,
} from './requests';
import { TELEGRAM_API_BASE, TELEGRAM_MAX_PHOTO_BYTES, TELEGRAM_MAX_PHOTO_SIDES, TELEGRAM_MAX_UPLOAD_BYTES, TELEGRAM_NAME, TELEGRAM_RULES } from './rules';
import { SegmentAttempts } from './segment-attempts';

export interface TelegramAdapterOptions {
  /** Bot API host for accounts without `base_url`; default `https://api.telegram.org`. */
  baseUrl?: string;
  /** Per request; default 30 s. Uploads get `uploadTimeoutMs`. */
  timeoutMs?: number;
  /** Requests carrying files; default 2 minutes. */
  uploadTimeoutMs?: number;
  now?: () => number;
}

/** Downloads and shapes the media before any request, so a bad file costs no message. */
async function prepareMedia(media: readonly MediaAttachment[]): Promise<TelegramFile[]> {
  const files: TelegramFile[] = [];
  for (const [i, attachment] of media.entries()) {
    const loaded = await attachment.load();
    if (attachment.kind === 'video') {
      if (loaded.bytes.length > TELEGRAM_MAX_UPLOAD_BYTES) throw new PlatformError('rejected', `${TELEGRAM_NAME} bots upload videos up to ${TELEGRAM_MAX_UPLOAD_BYTES} bytes; video ${i + 1} has ${loaded.bytes.length}`);
      files.push({ kind: 'video', bytes: loaded.bytes, mime: loaded.mime });
      continue;
    }
    if (loaded.mime === 'image/gif' && media.length === 1) {
      // A lone GIF stays animated with sendAnimation; re-encoding it as a photo would freeze it.
      if (loaded.bytes.length > TELEGRAM_MAX_UPLOAD_BYTES) throw new PlatformError('rejected', `${TELEGRAM_NAME} bots upload animations up to ${TELEGRAM_MAX_UPLOAD_BYTES} bytes; this GIF has ${loaded.bytes.length}`);
      files.push({ kind: 'animation', bytes: loaded.bytes, mime: loaded.mime });
      continue;
    }
    const fitted = await fitImage(loaded.bytes, loaded.mime, TELEGRAM_MAX_PHOTO_BYTES);
    if (fitted.size && fitted.size.width + fitted.size.height > TELEGRAM_MAX_PHOTO_SIDES) {
      throw new PlatformError('rejected', `${TELEGRAM_NAME} takes photos whose width and height add up to at most ${TELEGRAM_MAX_PHOTO_SIDES} pixels; image ${i + 1} is ${fitted.size.width}x${fitted.size.height}`);
    }
    files.push({ kind: 'photo', bytes: fitted.bytes, mime: fitted.mime });
  }
  return files;
}

/**
 * Telegram through the Bot API: a text segment is `sendMessage`, one photo/video
 * `sendPhoto`/`sendVideo` with the text as caption, 2–10 an album (`sendMediaGroup`);
 * later segments reply to the previous one (`reply_parameters`). The bot token is part of
 * every URL, so every error leaving this adapter has it redacted.
 */
export class TelegramAdapter implements PlatformAdapter {
  readonly platform = 'telegram' as const;
  readonly rules = TELEGRAM_RULES;
  private readonly attempts = new SegmentAttempts();

  constructor(private readonly options: TelegramAdapterOptions = {}) {}

  check(request: Pick<SegmentRequest, 'text' | 'media'>): string[] {
    return segmentProblems(request);
  }

  async publishSegment(request: SegmentRequest): Promise<SegmentRef> {
    const problems = segmentProblems(request);
    if (problems.length > 0) throw new PlatformError('rejected', `${TELEGRAM_NAME} would refuse this post: ${problems.join('; ')}`);
    const bot = botOf(request.account, this.options.baseUrl ?? TELEGRAM_API_BASE);
    const known = this.attempts.recall(request.idempotencyKey);
    if (known?.state === 'published') return known.ref;

    const replyTo = replyTarget(request);
    const settings = settingsOf(request.settings);
    const files = await prepareMedia(request.media);
    const message = await this.attempts.send(request.idempotencyKey, async () => {
      if (files.length === 0) {
        // https://core.telegram.org/bots/api#sendmessage
        return this.call<TelegramMessage>(bot, 'sendMessage', { method: 'POST', json: sendMessageBody(bot, request.text, settings, replyTo), signal: request.signal });
      }
      if (files.length === 1) {
        // https://core.telegram.org/bots/api#sendphoto (and #sendvideo, #sendanimation)
        return this.call<TelegramMessage>(bot, singleFileMethod(files[0]).method, { method: 'POST', body: singleFileForm(bot, files[0], request.text, settings, replyTo), signal: request.signal }, true);
      }
      // https://core.telegram.org/bots/api#sendmediagroup
      const album = await this.call<TelegramMessage[]>(bot, 'sendMediaGroup', { method: 'POST', body: albumForm(bot, files, request.text, settings, replyTo), signal: request.signal }, true);
      if (!Array.isArray(album) || album.length === 0) throw new PlatformError('unknown_outcome', `${TELEGRAM_NAME} accepted the album but answered no message`);
      return album[0];
    });
    if (typeof message?.message_id !== 'number' || !message.chat) throw new PlatformError('unknown_outcome', `${TELEGRAM_NAME} accepted the message but its answer had no message_id`);
    return this.attempts.published(request.idempotencyKey, segmentRefOf(message));
  }

  /**
   * A bot cannot read a chat's history, so only this process's memory of the write can
   * tell: published (with its message), refused, or not known (the chat must be checked).
   */
  async findPublished(request: SegmentRequest): Promise<SegmentRef | null> {
    const known = this.attempts.recall(request.idempotencyKey);
    if (known?.state === 'published') return known.ref;
    if (known?.state === 'not_published') return null;
    throw new PlatformError('unknown_outcome', `${TELEGRAM_NAME} bots cannot read the chat's history, so whether segment ${request.index + 1} reached the chat cannot be checked; look in the chat`);
  }

  private async call<T>(bot: TelegramBot, method: string, init: RequestJsonInit, upload = false): Promise<T> {
    let response: JsonResponse;
    try {
      response = await requestJson(methodUrl(bot, method), {
        timeoutMs: upload ? this.options.uploadTimeoutMs ?? 120_000 : this.options.timeoutMs,
        label: TELEGRAM_NAME,
        ...init,
      });
    } catch (err) {
      throw redacted(err, bot.token);
    }
    const body = response.body as { ok?: unknown; result?: unknown } | undefined;
    if (response.ok && body?.ok === true) return body.result as T;
    if (response.ok) throw new PlatformError('unknown_outcome', `${TELEGRAM_NAME} answered ${method} with HTTP ${response.status} but no result`);
    throw redacted(telegramFailure(response, this.options.now?.() ?? Date.now()), bot.token);
  }
}

function redacted(err: unknown, token: string): PlatformError {
  if (err instanceof PlatformError) return new PlatformError(err.kind, redactToken(err.message, token), err.details);
  return new PlatformError('unknown_outcome', redactToken(err instanceof Error ? err.message : String(err), token));
}
