package dev.gemma4j.hub;

import java.util.List;

/**
 * A repository revision's files.
 *
 * @param commit the commit the revision points at
 * @param files every file of that commit
 */
record RepoListing(String commit, List<RemoteFile> files) {

  RepoListing {
    files = List.copyOf(files);
  }

  /** The files gemma4j needs, small ones first. */
  List<RemoteFile> neededFiles() {
    return files.stream()
        .filter(RemoteFile::needed)
        .sorted(java.util.Comparator.comparingLong(RemoteFile::size))
        .toList();
  }
}
