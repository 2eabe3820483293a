// Types of lib/model/markdown.js (plain CommonJS, shared with .github/scripts/pr-report.js).
export declare const MAX_CODE_CHARS: number;
export declare function markdownCode(value: unknown, max?: number): string;
export declare function fencedBlock(text: string, info?: string): string;
export declare function truncateMarkdown(text: string, budget: number, where?: string): string;
