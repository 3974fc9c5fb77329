// aae-lab public API (re-exports by concept).
export {};
