declare module 'twitter-text' {
  export interface ParsedTweet {
    weightedLength: number;
    permillage: number;
    valid: boolean;
    displayRangeStart: number;
    displayRangeEnd: number;
    validRangeStart: number;
    validRangeEnd: number;
  }
  export function parseTweet(text: string, config?: unknown): ParsedTweet;
  export function extractUrls(text: string): string[];
  const twitterText: { parseTweet: typeof parseTweet; extractUrls: typeof extractUrls };
  export default twitterText;
}
