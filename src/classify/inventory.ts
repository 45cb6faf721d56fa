// The optional roles inventory (`--roles FILE`): which addresses are firewalls, Panorama,
// log collectors, User-ID agents (or external services). Looked up once per flow endpoint
// after merging, so plain per-role lists are fast enough.
import { BlockList, isIP } from 'node:net';
import { CatalogError } from '../errors.js';
import { readDocument } from '../catalog/file.js';
import { PAN_DEVICE_ROLES, ROLES, type Role } from '../catalog/schema.js';

const MAC = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i;

/** Lower case with colons: the form in which flows carry MAC addresses. */
function normalizeMac(text: string): string {
  return text.toLowerCase().replace(/-/g, ':');
}

function ipFamily(addr: string): 'ipv4' | 'ipv6' | null {
  const v = isIP(addr);
  return v === 4 ? 'ipv4' : v === 6 ? 'ipv6' : null;
}

export function isPanDevice(role: Role): boolean {
  return (PAN_DEVICE_ROLES as readonly Role[]).includes(role);
}

interface RoleRule {
  readonly role: Role;
  /** IP addresses and prefixes; BlockList compares IPv6 in any textual form. */
  readonly ips: BlockList;
  readonly macs: ReadonlySet<string>;
}

export class Inventory {
  private constructor(private readonly rules: readonly RoleRule[]) {}

  /** Roles listed for `addr` (an IPv4/IPv6 address or a MAC address). */
  rolesOf(addr: string): Set<Role> {
    const roles = new Set<Role>();
    const family = ipFamily(addr);
    const mac = family === null && MAC.test(addr) ? normalizeMac(addr) : null;
    for (const rule of this.rules) {
      if (family !== null ? rule.ips.check(addr, family) : mac !== null && rule.macs.has(mac)) roles.add(rule.role);
    }
    return roles;
  }

  /** Builds an inventory from a parsed document; `file` names it in errors. */
  static fromDocument(data: unknown, file: string): Inventory {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new CatalogError(file, `top level: must be a mapping of role to addresses (roles: ${ROLES.join(', ')})`);
    }
    const rules = Object.entries(data).map(([key, value]): RoleRule => {
      if (!(ROLES as readonly string[]).includes(key)) {
        throw new CatalogError(file, `${key}: unknown role (roles: ${ROLES.join(', ')})`);
      }
      if (!Array.isArray(value)) throw new CatalogError(file, `${key}: must be a list of addresses`);
      const ips = new BlockList();
      const macs = new Set<string>();
      value.forEach((item: unknown, i) => {
        if (!addAddress(item, ips, macs)) {
          throw new CatalogError(file, `${key}[${i}]: not an IP address, prefix or MAC address`);
        }
      });
      return { role: key as Role, ips, macs };
    });
    return new Inventory(rules);
  }
}

/** Adds one inventory item; false if it is not an address, prefix or MAC. */
function addAddress(item: unknown, ips: BlockList, macs: Set<string>): boolean {
  if (typeof item !== 'string') return false;
  if (MAC.test(item)) {
    macs.add(normalizeMac(item));
    return true;
  }
  const [addr, prefix, ...rest] = item.split('/');
  const family = ipFamily(addr);
  if (family === null || rest.length > 0) return false;
  if (prefix === undefined) {
    ips.addAddress(addr, family);
    return true;
  }
  const bits = Number(prefix);
  if (!/^[0-9]+$/.test(prefix) || bits > (family === 'ipv4' ? 32 : 128)) return false;
  ips.addSubnet(addr, bits, family);
  return true;
}

/** Reads a roles inventory (YAML or JSON). */
export function loadInventory(file: string): Inventory {
  return Inventory.fromDocument(readDocument(file), file);
}
