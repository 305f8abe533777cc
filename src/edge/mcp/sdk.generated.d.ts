// Types of ./sdk.generated.js, the prebuilt bundle of ./sdk-entry.ts (see that file).
export * from "./sdk-entry";
