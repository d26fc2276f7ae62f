using GridTsne.Engine.Embedding;

namespace GridTsne.Engine.Tests.Embedding;

public class DecoderWarmUpTests
{
    [Fact]
    public void Runs_the_decoding_path_until_canceled()
    {
        Assert.Equal(40, DecoderWarmUp.Run(thumbnailSize: 64, CancellationToken.None));

        using var canceled = new CancellationTokenSource();
        canceled.Cancel();
        Assert.Equal(0, DecoderWarmUp.Run(thumbnailSize: 0, canceled.Token));
    }

    [Fact]
    public async Task Stopping_it_mid_round_ends_it_without_an_exception()
    {
        // Get-ImageEmbedding cancels the warm-up as soon as the model has loaded, and waits for it: stopped at
        // many points, inside rounds included, it must end quietly.
        for (int attempt = 0; attempt < 20; attempt++)
        {
            using var stop = new CancellationTokenSource();
            Task<int> warmUp = Task.Run(() => DecoderWarmUp.Run(thumbnailSize: 128, stop.Token));
            Thread.SpinWait(attempt * 200_000);
            stop.Cancel();
            int rounds = await warmUp.WaitAsync(TimeSpan.FromSeconds(60)); // Rethrows what the warm-up threw.
            Assert.InRange(rounds, 0, 40);
        }
    }
}
