// Example reviews to try, written for this page (not taken from IMDb).
export const EXAMPLES = [
  {
    title: "A rave",
    text: "What a wonderful film. The acting is superb, the story kept me guessing until the very end, and the score gave me chills. I want to see it again.",
  },
  {
    title: "A pan",
    text: "Two hours I will never get back. The plot makes no sense, the dialogue is wooden and even the usually brilliant lead looks bored. Avoid.",
  },
  {
    title: "Mixed feelings",
    text: "The first half is slow and the jokes mostly fall flat, but the last forty minutes are gripping and the ending is genuinely moving.",
  },
  {
    title: "Sarcasm",
    text: "Oh great, another sequel nobody asked for. Just what the world needed: ninety more minutes of explosions and no story.",
  },
];
