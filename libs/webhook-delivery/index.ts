export { startWebhookDelivery, DEFAULT_DELIVERY_RETRY } from './src/delivery';
export type { WebhookDelivery, WebhookDeliveryDeps, WebhookPayload, AccountWebhookPayload, AccountStatusData, WebhookSubscribers, DeliveryRetry, DeliveryLogger } from './src/delivery';
export type { WebhookOutbox, PendingDelivery } from './src/outbox';
export { SqliteWebhookOutbox, openSqliteWebhookOutbox } from './src/sqlite-outbox';
export { MongoWebhookOutbox, connectMongoWebhookOutbox } from './src/mongo-outbox';
export { signPayload, verifySignature, SIGNATURE_HEADER } from './src/signature';
