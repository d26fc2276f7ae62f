namespace GridTsne.Engine.Tsne;

/// <summary>
/// Gradient descent with momentum and per-coordinate gains (Jacobs 1988), as in bhtsne, scikit-learn and
/// openTSNE: an early-exaggeration phase with momentum 0.5, then momentum 0.8; gains survive the phase
/// change, the momentum buffer does not. The learning rate is in openTSNE's convention (the step is
/// rate × gain × ∂C/∂y / 4). Like openTSNE, a point's step is capped at <see cref="MaxStepNorm"/> and the map
/// is re-centred after every step.
/// </summary>
internal static class TsneOptimizer
{
    public const double InitialMomentum = 0.5;
    public const double FinalMomentum = 0.8;
    public const double MinGain = 0.01;
    public const double MaxStepNorm = 5;

    /// <summary>Runs the iterations in place and returns the KL divergence of the final map.</summary>
    public static double Run(
        double[] embedding,
        TsneObjective objective,
        TsneOptions options,
        int earlyIterations,
        double learningRate,
        Action<TsnePhase, int, double>? report,
        CancellationToken token)
    {
        int length = embedding.Length;
        var gradient = new double[length];
        var update = new double[length];
        var gains = new double[length];
        Array.Fill(gains, 1.0);
        double step = learningRate / 4;
        for (int iteration = 0; iteration < options.Iterations; iteration++)
        {
            token.ThrowIfCancellationRequested();
            bool early = iteration < earlyIterations;
            if (iteration == earlyIterations && iteration > 0)
            {
                Array.Clear(update);
            }

            bool withCost = (iteration + 1) % options.ProgressInterval == 0;
            double cost = objective.Evaluate(embedding, early ? options.EarlyExaggeration : 1, gradient, withCost);
            double momentum = early ? InitialMomentum : FinalMomentum;
            for (int c = 0; c < length; c++)
            {
                double g = gradient[c];
                gains[c] = update[c] * g < 0 ? gains[c] + 0.2 : Math.Max(gains[c] * 0.8, MinGain);
                update[c] = momentum * update[c] - step * gains[c] * g;
            }

            double meanX = 0, meanY = 0;
            for (int c = 0; c < length; c += 2)
            {
                double norm = Math.Sqrt(update[c] * update[c] + update[c + 1] * update[c + 1]);
                if (norm > MaxStepNorm)
                {
                    update[c] *= MaxStepNorm / norm;
                    update[c + 1] *= MaxStepNorm / norm;
                }

                embedding[c] += update[c];
                embedding[c + 1] += update[c + 1];
                meanX += embedding[c];
                meanY += embedding[c + 1];
            }

            meanX /= length / 2;
            meanY /= length / 2;
            for (int c = 0; c < length; c += 2)
            {
                embedding[c] -= meanX;
                embedding[c + 1] -= meanY;
            }

            if (withCost)
            {
                report?.Invoke(early ? TsnePhase.EarlyExaggeration : TsnePhase.Optimization, iteration + 1, cost);
            }
        }

        token.ThrowIfCancellationRequested();
        return objective.Evaluate(embedding, 1, gradient, withCost: true);
    }
}
