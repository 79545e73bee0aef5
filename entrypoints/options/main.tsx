import { render } from 'preact';
import { browser } from 'wxt/browser';
import { browserOptionsDeps, Options } from '@/components/Options';

const deps = browserOptionsDeps((pattern) => browser.permissions.request({ origins: [pattern] }));
render(<Options deps={deps} />, document.getElementById('app')!);
