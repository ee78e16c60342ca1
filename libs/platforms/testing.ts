/**
 * Local servers that answer as each platform's documented API does, for tests and
 * benches. Never imported by production code.
 */
export { FakeMastodon, type FakeMastodonOptions } from './src/mastodon/testing/fake-mastodon';
export { FakeTwitter } from './src/twitter/testing/fake-twitter';
export { FakeThreads } from './src/threads/testing/fake-threads';
export { FakeLinkedIn } from './src/linkedin/testing/fake-linkedin';
export { FakeFacebook } from './src/facebook/testing/fake-facebook';
export { FakeInstagram } from './src/instagram/testing/fake-instagram';
export { FakeTiktok } from './src/tiktok/testing/fake-tiktok';
export { FakeYoutube } from './src/youtube/testing/fake-youtube';
export { FakeDiscord } from './src/discord/testing/fake-discord';
export { FakeSlack } from './src/slack/testing/fake-slack';
export { FakeTelegram } from './src/telegram/testing/fake-telegram';
