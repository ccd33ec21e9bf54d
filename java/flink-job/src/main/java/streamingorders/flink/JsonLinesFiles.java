package streamingorders.flink;

import org.apache.flink.connector.file.src.enumerate.FileEnumerator;
import org.apache.flink.connector.file.src.enumerate.NonSplittingRecursiveEnumerator;
import org.apache.flink.core.fs.Path;
import java.util.function.Predicate;

/**
 * Which files of a stream's folder on the local bus hold its records (docs/contract.md §5): the
 * `*.jsonl` files directly in it, not hidden (`.` or `_` first: still being written). Other files,
 * and anything in sub-folders, are not records. Each file is one split.
 */
public final class JsonLinesFiles {
    private JsonLinesFiles() {}

    public static FileEnumerator.Provider provider(String folder) {
        String root = normalized(new Path(folder));
        return () -> new NonSplittingRecursiveEnumerator(recordsOf(root));
    }

    /** The folder itself (so that it is listed) and its record files. */
    static Predicate<Path> recordsOf(String root) {
        return path -> {
            String name = path.getName();
            return normalized(path).equals(root) || (path.getParent() != null
                    && normalized(path.getParent()).equals(root)
                    && name.endsWith(".jsonl") && !name.startsWith(".") && !name.startsWith("_"));
        };
    }

    private static String normalized(Path path) {
        String text = path.toUri().getPath();
        return text.endsWith("/") && text.length() > 1 ? text.substring(0, text.length() - 1) : text;
    }
}
