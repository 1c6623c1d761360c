import { __decorate, __metadata, __param } from "tslib";
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
