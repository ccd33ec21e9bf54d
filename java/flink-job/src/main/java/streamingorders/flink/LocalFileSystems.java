package streamingorders.flink;

import java.io.IOException;
import java.nio.file.Paths;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.plugin.DefaultPluginManager;
import org.apache.flink.core.plugin.DirectoryBasedPluginFinder;

/**
 * Flink's filesystems for a local run, initialised as a Flink cluster's processes do at start: the
 * filesystem plugins under a folder laid out like a distribution's plugins/ (the S3 filesystem the
 * Maven build copies there), configured by the given settings (`s3.endpoint` and the like). A
 * MiniCluster initialises none from the job's configuration (FLINK-11470), and MSF does this itself.
 */
public final class LocalFileSystems {
    private LocalFileSystems() {}

    public static void initialize(String pluginsFolder, Map<String, String> settings) throws IOException {
        Configuration configuration = Configuration.fromMap(settings);
        DefaultPluginManager plugins = new DefaultPluginManager(
                new DirectoryBasedPluginFinder(Paths.get(pluginsFolder)).findPlugins(),
                CoreOptions.getPluginParentFirstLoaderPatterns(configuration));
        FileSystem.initialize(configuration, plugins);
    }
}
