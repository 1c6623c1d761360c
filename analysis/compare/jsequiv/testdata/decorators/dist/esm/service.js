var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
var __param = (this && this.__param) || function (paramIndex, decorator) {
    return function (target, key) { decorator(target, key, paramIndex); }
};
const registry = new Map();
function Tool(name) {
    return (_target, key) => {
        registry.set(name, String(key));
    };
}
function Injectable() {
    return (target) => {
        registry.set("service", target.name);
    };
}
function Setting() {
    return () => undefined;
}
function Inject(token) {
    return () => {
        registry.set("inject", token);
    };
}
export class Store {
    get(key) {
        return registry.get(key);
    }
}
let NotesService = class NotesService {
    store;
    label = "notes";
    limit = 10;
    constructor(store) {
        this.store = store;
    }
    async list(prefix) {
        return [...registry.keys()].filter((k) => k.startsWith(prefix)).slice(0, this.limit);
    }
    static describe() {
        return `${registry.size} tools`;
    }
};
__decorate([
    Setting(),
    __metadata("design:type", String)
], NotesService.prototype, "label", void 0);
__decorate([
    Setting(),
    __metadata("design:type", Object)
], NotesService.prototype, "limit", void 0);
__decorate([
    Tool("list_notes"),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [String]),
    __metadata("design:returntype", Promise)
], NotesService.prototype, "list", null);
__decorate([
    Tool("describe"),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", []),
    __metadata("design:returntype", String)
], NotesService, "describe", null);
NotesService = __decorate([
    Injectable(),
    __param(0, Inject("store")),
    __metadata("design:paramtypes", [Store])
], NotesService);
export { NotesService };
export function tools() {
    return [...registry.keys()];
}
