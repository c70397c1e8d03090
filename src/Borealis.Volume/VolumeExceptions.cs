namespace Borealis.Volume;

/// <summary>
/// This writer was fenced: a newer writer raised the volume epoch. Every pending and future
/// append and durability wait fails with it; the instance must stop acting as the writer.
/// </summary>
public sealed class VolumeFencedException(uint ourEpoch, uint newerEpoch, string message) : Exception(message)
{
    public uint OurEpoch { get; } = ourEpoch;
    /// <summary>The epoch a storage node reported (0 if unknown).</summary>
    public uint NewerEpoch { get; } = newerEpoch;
}

/// <summary>The volume could not be opened or operated: no quorum, inconsistent layout, or a refused request.</summary>
public sealed class VolumeUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
