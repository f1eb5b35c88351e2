package dev.gemma4j.engine;

/**
 * What a device backend has done since it opened, counted where it costs host time or bandwidth: operator
 * launches, stream synchronizations, bytes copied each way between host and device, and device memory
 * allocations. Backends that do not count (the CPU) report {@link #NONE}.
 *
 * @param launches operators queued on the device
 * @param syncs waits for the device's queue to drain
 * @param hostToDeviceBytes bytes uploaded
 * @param deviceToHostBytes bytes downloaded
 * @param allocations device memory allocations
 * @param stepPeakBytes the most device bytes one step's temporaries have held at once since the backend
 *     opened: a high-water mark, not a count, so {@link #plus} keeps the larger and {@link #minus} keeps
 *     this one's
 */
public record DeviceCounters(
    long launches, long syncs, long hostToDeviceBytes, long deviceToHostBytes, long allocations, long stepPeakBytes) {
  /** Nothing counted. */
  public static final DeviceCounters NONE = new DeviceCounters(0, 0, 0, 0, 0, 0);

  /** These counts plus {@code other}'s. */
  public DeviceCounters plus(DeviceCounters other) {
    return new DeviceCounters(launches + other.launches, syncs + other.syncs, hostToDeviceBytes + other.hostToDeviceBytes,
        deviceToHostBytes + other.deviceToHostBytes, allocations + other.allocations,
        Math.max(stepPeakBytes, other.stepPeakBytes));
  }

  /** What was counted between {@code earlier} and these counts. */
  public DeviceCounters minus(DeviceCounters earlier) {
    return new DeviceCounters(launches - earlier.launches, syncs - earlier.syncs,
        hostToDeviceBytes - earlier.hostToDeviceBytes, deviceToHostBytes - earlier.deviceToHostBytes,
        allocations - earlier.allocations, stepPeakBytes);
  }
}
