// The shape of the port catalog: TS types for the code, and a JSON Schema (draft-07, ajv)
// that checks the built-in file and user overrides at load time. Cross-field rules that a
// schema would state only clumsily (one key per transport, unique ids) live in load.ts.

export const SECTION_IDS = ['management', 'ha', 'panorama', 'user-id'] as const;
export type SectionId = (typeof SECTION_IDS)[number];

/**
 * Application protocols pantap tells from payload (the `app` of a flow), and which one an
 * entry expects. `icmp` is given to ICMP flows.
 */
export const APPS = ['tls', 'ssh', 'http', 'ldap', 'kerberos', 'ntp', 'snmp', 'radius', 'syslog', 'dcerpc', 'smb', 'icmp'] as const;
export type AppName = (typeof APPS)[number];

/**
 * What kind of exchange an entry carries, so that a silent server can be judged:
 * - `request-response`: the client sends requests the server must answer (NTP, SNMP
 *   polling, Kerberos, RADIUS, LDAP...); requests with no answer are a failure.
 * - `one-way`: the sender expects no reply at all (syslog, SNMP traps, NetFlow, HA2).
 * - `session`: a connection-oriented conversation (most TCP entries), judged by its
 *   connection, not by whether each message is answered.
 */
export const EXCHANGES = ['request-response', 'one-way', 'session'] as const;
export type Exchange = (typeof EXCHANGES)[number];

export const TRANSPORTS = ['tcp', 'udp', 'ip', 'ethertype'] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** Roles a Palo Alto Networks device plays; an inventory maps addresses to these. */
export const PAN_DEVICE_ROLES = ['firewall', 'panorama', 'log-collector', 'user-id-agent'] as const;

/** Everything else that appears on one side of a catalog entry. */
export const EXTERNAL_ROLES = [
  'admin-client',
  'endpoint',
  'api-client',
  'ts-agent',
  'vm-manager',
  'syslog-server',
  'syslog-sender',
  'snmp-manager',
  'ntp-server',
  'netflow-collector',
  'mdm',
  'ldap-server',
  'kerberos-server',
  'radius-server',
  'directory-server',
  'nfs-server',
] as const;

export const ROLES = [...PAN_DEVICE_ROLES, ...EXTERNAL_ROLES] as const;
export type Role = (typeof ROLES)[number];

/** PAN-OS releases an entry applies to, inclusive ("5.1" = 5.1 and later as `min`). */
export interface Versions {
  readonly min?: string;
  readonly max?: string;
}

/** Roles that traffic on an entry proves; only set where the port is unambiguous. */
export interface Infer {
  readonly server?: Role;
  readonly client?: Role;
  /**
   * The listener is one of these, and the port alone does not say which (User-ID 5007: a
   * firewall redistributing mappings, or a Windows User-ID agent). The first is given when
   * the listener's own other channels show a PAN device, the second when only its client's
   * do; with neither, the listener is left open (classify.ts, README "Roles").
   */
  readonly serverOneOf?: readonly [Role, Role];
}

export interface CatalogEntry {
  /** Stable `section.name.port`; reports and overrides refer to entries by it. */
  readonly id: string;
  readonly section: SectionId;
  readonly transport: Transport;
  /** Destination (listening) port for tcp/udp; null for ranges and non-port transports. */
  readonly port: number | null;
  readonly ipProtocol: number | null;
  readonly ethertype: number | null;
  /** Inclusive destination port range, for ports handed out at run time (RPC). */
  readonly portRange?: readonly [number, number];
  /** Id of the entry whose connection leads to this one (RPC range after 135). */
  readonly after?: string;
  readonly name: string;
  readonly description: string;
  readonly listener: Role;
  readonly clients: readonly Role[];
  readonly tls: boolean;
  /** The application protocol expected on the entry; null: proprietary, or not judged. */
  readonly app: AppName | null;
  /** The kind of exchange expected on the entry; null: unknown, not judged. */
  readonly exchange: Exchange | null;
  /** The port may be changed on the device; overrides may move only these entries. */
  readonly configurable: boolean;
  readonly versions?: Versions;
  readonly infer?: Infer;
}

/**
 * A copy of `e` with every key of CatalogEntry, in one order (absent optional ones
 * undefined). One shape for all entries: code that reads entries once per flow stays
 * optimised (the built-in catalog's entries come in five shapes by their optional keys, and
 * judge() was compiled again at each new one), and `pantap catalog --format json` gives
 * scripts the same keys for every entry.
 */
export function entryWithEveryKey(e: CatalogEntry): CatalogEntry {
  return {
    id: e.id,
    section: e.section,
    transport: e.transport,
    port: e.port,
    ipProtocol: e.ipProtocol,
    ethertype: e.ethertype,
    portRange: e.portRange,
    after: e.after,
    name: e.name,
    description: e.description,
    listener: e.listener,
    clients: e.clients,
    tls: e.tls,
    app: e.app,
    exchange: e.exchange,
    configurable: e.configurable,
    versions: e.versions,
    infer: e.infer,
  };
}

export interface Section {
  readonly id: SectionId;
  readonly title: string;
}

export interface Catalog {
  /** In display order. */
  readonly sections: readonly Section[];
  readonly entries: readonly CatalogEntry[];
}

const int = (minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum });
const nullableInt = (minimum: number, maximum: number) => ({
  type: ['integer', 'null'],
  minimum,
  maximum,
  default: null,
});
const role = { enum: [...ROLES] };
const version = { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)*$' };

// Defaults let user-written entries leave out the keys that are usually null/false; the
// built-in file spells every key out.
export const entrySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'section', 'transport', 'name', 'listener', 'clients'],
  properties: {
    id: { type: 'string', pattern: '^[a-z0-9-]+\\.[a-z0-9-]+\\.[a-z0-9-]+$' },
    section: { enum: [...SECTION_IDS] },
    transport: { enum: [...TRANSPORTS] },
    port: nullableInt(0, 65535),
    ipProtocol: nullableInt(0, 255),
    ethertype: nullableInt(0, 65535),
    portRange: { type: 'array', items: int(0, 65535), minItems: 2, maxItems: 2 },
    after: { type: 'string' },
    name: { type: 'string', minLength: 1 },
    description: { type: 'string', default: '' },
    listener: role,
    clients: { type: 'array', items: role, minItems: 1, uniqueItems: true },
    tls: { type: 'boolean', default: false },
    app: { enum: [...APPS, null], default: null },
    exchange: { enum: [...EXCHANGES, null], default: null },
    configurable: { type: 'boolean', default: false },
    versions: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: { min: version, max: version },
    },
    infer: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: { server: role, client: role, serverOneOf: { type: 'array', items: role, minItems: 2, maxItems: 2, uniqueItems: true } },
    },
  },
} as const;

export const catalogSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['sections', 'entries'],
  properties: {
    sections: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'title'],
        properties: { id: { enum: [...SECTION_IDS] }, title: { type: 'string', minLength: 1 } },
      },
    },
    entries: { type: 'array', items: entrySchema },
  },
} as const;

/** A user override file: extra entries, and new ports for configurable entries. */
export const overrideSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    entries: { type: 'array', items: entrySchema },
    move: { type: 'object', additionalProperties: int(0, 65535) },
  },
} as const;

export interface Override {
  readonly entries?: readonly CatalogEntry[];
  readonly move?: Readonly<Record<string, number>>;
}
