// Placeholder until the CLI lands (issue 2): prints help.
console.log("pipam — keeps PowerDNS and NetBox in step with Proxmox VE\n\nUsage: pipam <command> [options]");
