package dev.gemma4j.spi;

import java.util.List;

/**
 * What a backend allocates for the KV cache: the {@link KvCacheGroup groups} and, for every layer in order,
 * the group it belongs to. Every group has the same block size, so one position maps to one block index in
 * every group's table.
 *
 * @param layerGroups the group of each layer, indices into {@code groups}
 * @param groups the groups
 */
public record KvCacheSpec(List<Integer> layerGroups, List<KvCacheGroup> groups) {

  /** Validates the layout. */
  public KvCacheSpec {
    layerGroups = List.copyOf(layerGroups);
    groups = List.copyOf(groups);
    if (groups.isEmpty()) {
      throw new IllegalArgumentException("a KV cache needs at least one group");
    }
    for (int g : layerGroups) {
      if (g < 0 || g >= groups.size()) {
        throw new IllegalArgumentException("layer group " + g + " is not one of the " + groups.size() + " groups");
      }
    }
    int blockSize = groups.getFirst().blockSize();
    if (groups.stream().anyMatch(g -> g.blockSize() != blockSize)) {
      throw new IllegalArgumentException("every KV-cache group needs the same block size: " + groups);
    }
  }

  /** Layers of the model. */
  public int layers() {
    return layerGroups.size();
  }

  /** The group index of layer {@code layer}. */
  public int groupOf(int layer) {
    return layerGroups.get(layer);
  }

  /** The group of layer {@code layer}. */
  public KvCacheGroup group(int layer) {
    return groups.get(layerGroups.get(layer));
  }

  /** Token positions per block, the same in every group. */
  public int blockSize() {
    return groups.getFirst().blockSize();
  }

  /** Layers in group {@code group}. */
  public int layersIn(int group) {
    return (int) layerGroups.stream().filter(g -> g == group).count();
  }

  /** Bytes of the whole cache, keys and values of every layer, at {@code bytesPerElement}. */
  public long bytes(int bytesPerElement) {
    long total = 0;
    for (int g : layerGroups) {
      KvCacheGroup group = groups.get(g);
      total += 2L * group.slots() * group.width() * bytesPerElement;
    }
    return total;
  }
}
