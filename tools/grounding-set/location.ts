/** Where `npm run fixtures` puts the grounding set the Inspect view's tests open. */
export const GROUNDING_SET_DIR = "fixtures/grounding-set";
