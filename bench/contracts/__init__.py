"""The contracts every plugin builds on, below the kit and the plugins: what an adapter is and is given
(``adapter``), what a task is (``task``), the TRL defaults adapters share (``defaults``), and pure maths
(``losses``: the DPO-family losses as test oracles; ``ppo_math``: PPO's advantages, KL and clipped losses)."""
