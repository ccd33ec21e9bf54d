package streamingorders.opensearch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * The security plugin's configuration: its own defaults (the files its zip ships) with a single
 * internal user, admin, whose password is new at each start. The security index is created from
 * these files at the node's first start ({@code allow_default_init_securityindex}).
 */
final class SecurityConfig {
    private static final List<String> DEFAULT_FILES = List.of(
            "action_groups.yml", "allowlist.yml", "audit.yml", "config.yml", "nodes_dn.yml",
            "roles.yml", "roles_mapping.yml", "tenants.yml", "whitelist.yml");
    private static final int BCRYPT_COST = 12;

    private SecurityConfig() {}

    static void write(Path defaults, Path folder, String adminPassword) throws IOException {
        Files.createDirectory(folder);
        for (String name : DEFAULT_FILES) {
            Files.copy(defaults.resolve(name), folder.resolve(name));
        }
        byte[] salt = new byte[16];
        new java.security.SecureRandom().nextBytes(salt);
        String hash = OpenBSDBCrypt.generate("2y", adminPassword.toCharArray(), salt, BCRYPT_COST);
        Files.writeString(folder.resolve("internal_users.yml"), """
                _meta:
                  type: "internalusers"
                  config_version: 2
                admin:
                  hash: "%s"
                  reserved: true
                  backend_roles: ["admin"]
                  description: "the local cluster's administrator, with a password new at each start"
                """.formatted(hash));
    }
}
