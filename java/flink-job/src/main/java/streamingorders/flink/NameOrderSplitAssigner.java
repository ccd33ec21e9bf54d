package streamingorders.flink;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;
import java.util.PriorityQueue;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.assigners.FileSplitAssigner;

/**
 * Hands out file splits in file-name order. Flink's own assigners follow the directory listing,
 * which is not name order (ext4 lists by hash), so a bus whose file names follow time would be read
 * out of time order and most of its records would be late. New files found while watching join in
 * name order too.
 */
public final class NameOrderSplitAssigner implements FileSplitAssigner {
    private static final Comparator<FileSourceSplit> BY_NAME =
            Comparator.comparing((FileSourceSplit s) -> s.path().getName()).thenComparingLong(FileSourceSplit::offset);
    private final PriorityQueue<FileSourceSplit> splits = new PriorityQueue<>(BY_NAME);

    public NameOrderSplitAssigner(Collection<FileSourceSplit> initial) { splits.addAll(initial); }

    @Override public Optional<FileSourceSplit> getNext(String hostname) { return Optional.ofNullable(splits.poll()); }
    @Override public void addSplits(Collection<FileSourceSplit> newSplits) { splits.addAll(newSplits); }
    @Override public Collection<FileSourceSplit> remainingSplits() { return new ArrayList<>(splits); }

    public static FileSplitAssigner.Provider provider() { return NameOrderSplitAssigner::new; }
}
