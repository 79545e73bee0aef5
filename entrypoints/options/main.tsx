import { render } from 'preact';
import { browser } from 'wxt/browser';
import { browserOptionsDeps, Options } from '@/components/Options';
import { holdLivePort } from '@/lib/messaging/live-port';

const deps = browserOptionsDeps((pattern) => browser.permissions.request({ origins: [pattern] }));
render(<Options deps={deps} />, document.getElementById('app')!);

// While this page is open the background follows the broker's events (badge, notifications,
// a waiting banner lands at once); the port closes with the page.
holdLivePort({ connect: (name) => browser.runtime.connect({ name }) });
