/**
 * Just enough of a DOM to run the visualization's script in Node and look at what it built:
 * elements with class, id, dataset, style, children, text, and click/change handlers.
 */
import vm from 'node:vm';

export class FakeElement {
  className = '';
  id = '';
  title = '';
  type = '';
  disabled = false;
  value = '';
  checked = false;
  clientWidth = 1200;
  scrollLeft = 0;
  scrollTop = 0;
  readonly dataset: Record<string, string> = {};
  readonly style: Record<string, string> = {};
  children: FakeElement[] = [];
  parent: FakeElement | null = null;
  scrolledIntoView = false;
  onclick: ((event: unknown) => void) | null = null;
  onchange: ((event: unknown) => void) | null = null;
  private ownText = '';
  private readonly listeners = new Map<string, ((event: unknown) => void)[]>();

  constructor(readonly tagName: string) {}

  get textContent(): string {
    return this.ownText + this.children.map((child) => child.textContent).join('');
  }
  set textContent(text: string) {
    this.ownText = text;
    this.children = [];
  }
  readonly classList = {
    add: (name: string) => {
      if (!this.classList.contains(name)) this.className = `${this.className} ${name}`.trim();
    },
    contains: (name: string) => this.className.split(/\s+/).includes(name),
  };
  appendChild(child: FakeElement): FakeElement {
    child.parent = this;
    this.children.push(child);
    return child;
  }
  replaceWith(other: FakeElement): void {
    const siblings = this.parent!.children;
    siblings[siblings.indexOf(this)] = other;
    other.parent = this.parent;
  }
  addEventListener(type: string, listener: (event: unknown) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  dispatch(type: string, event: unknown): void {
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }
  scrollIntoView(): void {
    this.scrolledIntoView = true;
  }
  /** Every element below this one, depth first. */
  *descendants(): Generator<FakeElement> {
    for (const child of this.children) {
      yield child;
      yield* child.descendants();
    }
  }
}

/** The page's script, run against a fake document holding the page's fixed elements. */
export function runPage(html: string) {
  const data = /<script id="porcupine-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html)![1];
  const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1];
  const fixed = new Map<string, FakeElement>();
  for (const id of ['title', 'verdict', 'summary', 'jump', 'scale', 'zoom-out', 'zoom-fit', 'zoom-in', 'only-illegal', 'timeline', 'details', 'porcupine-data']) {
    const element = new FakeElement('div');
    element.id = id;
    fixed.set(id, element);
  }
  fixed.get('porcupine-data')!.textContent = data;
  const find = (id: string): FakeElement | null => {
    if (fixed.has(id)) return fixed.get(id)!;
    for (const element of fixed.get('timeline')!.descendants()) if (element.id === id) return element;
    return null;
  };
  const documentListeners = new FakeElement('document');
  const document = {
    getElementById: find,
    createElement: (tag: string) => new FakeElement(tag),
    createTextNode: (text: string) => {
      const node = new FakeElement('#text');
      node.textContent = text;
      return node;
    },
    addEventListener: documentListeners.addEventListener.bind(documentListeners),
  };
  vm.runInNewContext(script, { document, HTMLElement: FakeElement });
  const timeline = fixed.get('timeline')!;
  return {
    element: (id: string) => find(id)!,
    bars: () => [...timeline.descendants()].filter((element) => element.classList.contains('op')),
    all: () => [...timeline.descendants()],
    timeline,
    pressKey: (key: string) => documentListeners.dispatch('keydown', { key }),
  };
}
