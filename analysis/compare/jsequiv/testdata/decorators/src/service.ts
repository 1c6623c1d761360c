// A decorator-based tool service (experimentalDecorators + emitDecoratorMetadata).
type Ctor = new (...args: any[]) => object;
const registry = new Map<string, string>();

function Tool(name: string): MethodDecorator {
  return (_target, key) => {
    registry.set(name, String(key));
  };
}
function Injectable(): ClassDecorator {
  return (target) => {
    registry.set("service", (target as unknown as Ctor).name);
  };
}
function Setting(): PropertyDecorator {
  return () => undefined;
}
function Inject(token: string): ParameterDecorator {
  return () => {
    registry.set("inject", token);
  };
}

export class Store {
  get(key: string): string | undefined {
    return registry.get(key);
  }
}

@Injectable()
export class NotesService {
  @Setting() label: string = "notes";
  @Setting() limit = 10;

  constructor(@Inject("store") private readonly store: Store) {}

  @Tool("list_notes")
  async list(prefix: string): Promise<string[]> {
    return [...registry.keys()].filter((k) => k.startsWith(prefix)).slice(0, this.limit);
  }

  @Tool("describe")
  static describe(): string {
    return `${registry.size} tools`;
  }
}

export function tools(): string[] {
  return [...registry.keys()];
}
