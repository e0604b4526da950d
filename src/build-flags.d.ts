/** True only in the test build (`vite build --mode test`): the browser tests' hooks are installed. */
declare const __TEST_HOOKS__: boolean;
/** The app's version as built (`GEOZERO_VERSION`, else package.json's). */
declare const __APP_VERSION__: string;
