/** True only in the test build (`vite build --mode test`): the browser tests' hooks are installed. */
declare const __TEST_HOOKS__: boolean;
