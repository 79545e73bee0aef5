export default defineBackground(() => {
  // Filled in by the extension work (message handling, drafts in IndexedDB).
});
