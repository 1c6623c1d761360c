"use strict";
var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __param = (this && this.__param) || function (paramIndex, decorator) {
    return function (target, key) { decorator(target, key, paramIndex); }
};
Object.defineProperty(exports, "__esModule", { value: true });
exports.NotesService = exports.Store = void 0;
exports.tools = tools;
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
class Store {
    get(key) {
        return registry.get(key);
    }
}
exports.Store = Store;
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
exports.NotesService = NotesService;
__decorate([
    Setting()
], NotesService.prototype, "label", void 0);
__decorate([
    Setting()
], NotesService.prototype, "limit", void 0);
__decorate([
    Tool("list_notes")
], NotesService.prototype, "list", null);
__decorate([
    Tool("describe")
], NotesService, "describe", null);
exports.NotesService = NotesService = __decorate([
    Injectable(),
    __param(0, Inject("store"))
], NotesService);
function tools() {
    return [...registry.keys()];
}
