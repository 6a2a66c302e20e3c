import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeTransfer, transferReporter } from '../../src/extension/adapters/progress.js';

describe('transfer progress lines', () => {
  it('shows the stage, the bytes and the speed', () => {
    assert.equal(describeTransfer({ stage: 'blob sha256:ab12…', bytes: 120e6, totalBytes: 1e9 }, 85e6), 'blob sha256:ab12… — 120 MB of 1.0 GB, 85 MB/s');
    assert.equal(describeTransfer({ stage: 'blob sha256:ab12…', bytes: 0, totalBytes: 1e9 }), 'blob sha256:ab12… — 0 B of 1.0 GB');
    assert.equal(describeTransfer({ stage: 'finishing podman:x', bytes: 0, totalBytes: 0 }), 'finishing podman:x');
  });

  it('measures the speed over the last seconds and redraws at most four times a second', () => {
    let now = 0;
    const lines: string[] = [];
    const report = transferReporter((line) => lines.push(line), () => now);
    report({ stage: 'blob a', bytes: 0, totalBytes: 100e6 });
    now = 100;
    report({ stage: 'blob a', bytes: 1e6, totalBytes: 100e6 }); // throttled
    now = 1000;
    report({ stage: 'blob a', bytes: 10e6, totalBytes: 100e6 });
    now = 1100;
    report({ stage: 'blob b', bytes: 11e6, totalBytes: 100e6 }); // a new stage shows at once
    now = 10_000;
    report({ stage: 'blob b', bytes: 50e6, totalBytes: 100e6 });
    assert.deepEqual(lines, [
      'blob a — 0 B of 100 MB',
      'blob a — 10 MB of 100 MB, 10 MB/s',
      'blob b — 11 MB of 100 MB, 10 MB/s',
      // The window keeps the last samples only: 39 MB in the 8.9 s since the previous one.
      'blob b — 50 MB of 100 MB, 4.4 MB/s',
    ]);
  });
});
