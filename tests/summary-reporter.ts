import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints one plain closing line (`Tests: N passed, N failed, N skipped`) after vitest's own
 * summary, so CI logs can be read by tools that do not know vitest's format.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // A module that failed to load, or whose beforeAll/afterAll hook failed, is a failure even
      // when none of its tests is (they were skipped or never collected).
      if (
        mod.state() === 'failed' &&
        ![...mod.children.allTests()].some((t) => t.result().state === 'failed')
      )
        failed++;
    }
    failed += unhandledErrors.length;
    process.stdout.write(`\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
