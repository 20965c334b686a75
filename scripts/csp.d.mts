// Types of csp.mjs for vite.config.ts.
export declare const OFFICE_JS: string;
export declare const GRAPH: string;
export declare const LOGIN: string;
export declare const OFFICE_PAGES: Set<string>;
export declare const OUTLOOK_FRAME_ANCESTORS: string[];
export declare function cspDirectives(urlPath: string): string[];
export declare function metaCsp(urlPath: string): string;
export declare function headerCsp(urlPath: string): string;
