// typescript-eslint over src/ and tests/ (`npm run lint`, run by .ci/run): no explicit `any`, files
// under 300 lines and functions under 80 (blank lines and comments not counted) as errors (STYLE.md,
// "Small modules with one job"). Tests may be longer: a scenario reads top to bottom.
import tseslint from "typescript-eslint";

const lengthLimits = (file, fn) => ({
  "max-lines": ["error", { max: file, skipBlankLines: true, skipComments: true }],
  "max-lines-per-function": ["error", { max: fn, skipBlankLines: true, skipComments: true, IIFEs: true }],
});

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", ".data/", "src/staff/assets/", "src/devchat/**/*.html"] },
  {
    files: ["src/**/*.ts", "tests/**/*.ts", "*.ts"],
    extends: [tseslint.configs.recommended],
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "require-yield": "error",
      // A leading underscore names what is there only for its position (express's `next`, a rest omit).
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true }],
      ...lengthLimits(300, 80),
    },
  },
  {
    // Tests read LINE's and the fake API's JSON loosely and may be long scenarios.
    files: ["tests/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off", "@typescript-eslint/no-unused-vars": "off", ...lengthLimits(1500, 600) },
  },
);
