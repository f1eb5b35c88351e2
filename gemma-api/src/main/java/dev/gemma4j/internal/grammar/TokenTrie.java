package dev.gemma4j.internal.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The vocabulary as a trie over the tokens' text (code points), laid out in depth-first order so a walk
 * skips a subtree by jumping to its end: masks are computed by walking it once per grammar state, pruning
 * every branch the grammar rejects at its first character. Tokens with no text of their own (special
 * tokens, byte pieces) are not in it and are never allowed by a grammar. Immutable; one per tokenizer.
 */
public final class TokenTrie {
  private final int vocabSize;
  private final int[][] tokenText; // per token id, its code points, or null when not in the trie
  private final int[] nodeChar;
  private final int[] nodeDepth;
  private final int[] subtreeEnd;
  private final int[] firstToken; // per node, the first token ending there, or -1
  private final int[] nextToken; // per token, the next token ending at the same node, or -1
  private final int maxDepth;

  private TokenTrie(int vocabSize, int[][] tokenText) {
    this.vocabSize = vocabSize;
    this.tokenText = tokenText;
    Integer[] order = new Integer[vocabSize];
    int count = 0;
    for (int id = 0; id < vocabSize; id++) {
      if (tokenText[id] != null && tokenText[id].length > 0) {
        order[count++] = id;
      }
    }
    Integer[] sorted = Arrays.copyOf(order, count);
    Arrays.sort(sorted, (a, b) -> Arrays.compare(tokenText[a], tokenText[b]));
    List<int[]> nodes = new ArrayList<>(); // char, depth
    int[] previous = new int[0];
    int[] pathNodes = new int[16];
    nextToken = new int[vocabSize];
    Arrays.fill(nextToken, -1);
    List<Integer> first = new ArrayList<>();
    int depthMax = 0;
    for (int id : sorted) {
      int[] text = tokenText[id];
      int common = 0;
      while (common < previous.length && common < text.length && previous[common] == text[common]) {
        common++;
      }
      if (pathNodes.length < text.length) {
        pathNodes = Arrays.copyOf(pathNodes, text.length * 2);
      }
      for (int d = common; d < text.length; d++) {
        pathNodes[d] = nodes.size();
        nodes.add(new int[] {text[d], d + 1});
        first.add(-1);
      }
      int node = pathNodes[text.length - 1];
      nextToken[id] = first.get(node);
      first.set(node, id);
      previous = text;
      depthMax = Math.max(depthMax, text.length);
    }
    int n = nodes.size();
    nodeChar = new int[n];
    nodeDepth = new int[n];
    firstToken = new int[n];
    for (int i = 0; i < n; i++) {
      nodeChar[i] = nodes.get(i)[0];
      nodeDepth[i] = nodes.get(i)[1];
      firstToken[i] = first.get(i);
    }
    subtreeEnd = new int[n];
    int[] open = new int[depthMax + 1];
    int top = 0;
    for (int i = 0; i < n; i++) {
      while (top > 0 && nodeDepth[open[top - 1]] >= nodeDepth[i]) {
        subtreeEnd[open[--top]] = i;
      }
      open[top++] = i;
    }
    while (top > 0) {
      subtreeEnd[open[--top]] = n;
    }
    maxDepth = depthMax;
  }

  /**
   * A trie of {@code texts}: entry {@code i} is token {@code i}'s text as it appears in the output, or
   * {@code null} for a token a grammar never allows.
   */
  public static TokenTrie of(List<String> texts) {
    int[][] codePoints = new int[texts.size()][];
    for (int i = 0; i < codePoints.length; i++) {
      String text = texts.get(i);
      codePoints[i] = text == null ? null : text.codePoints().toArray();
    }
    return new TokenTrie(codePoints.length, codePoints);
  }

  int vocabSize() {
    return vocabSize;
  }

  /** The token's text as code points, or {@code null} when a grammar never allows it. */
  int[] text(int token) {
    return token >= 0 && token < vocabSize ? tokenText[token] : null;
  }

  int nodeCount() {
    return nodeChar.length;
  }

  int maxDepth() {
    return maxDepth;
  }

  int nodeChar(int node) {
    return nodeChar[node];
  }

  int nodeDepth(int node) {
    return nodeDepth[node];
  }

  int subtreeEnd(int node) {
    return subtreeEnd[node];
  }

  int firstToken(int node) {
    return firstToken[node];
  }

  int nextToken(int token) {
    return nextToken[token];
  }
}
