"""Seed 003's own example of a /generate and a /generate_video body, exactly as the seed gives it: the studio
accepts it as it is (tests and the benchmark use it)."""

SEED_DETAILS = {
    "face_shape": "long", "skin_tone": 2, "pose": "I-Pose",
    "body_dimensions": [
        {"key": "b_{main}_muscular", "value": 0.5}, {"key": "b_{main}_overweight", "value": 1},
        {"key": "b_{main}_skinny", "value": 0}, {"key": "b_{Head}_Neck Thickness", "value": 0},
        {"key": "b_{Head}_Neck Length", "value": 1}, {"key": "b_{Torso}_Shoulder Width", "value": 0.3},
        {"key": "b_{Torso}_Chest Width", "value": 0}, {"key": "b_{Torso}_Breast Size", "value": 2},
        {"key": "b_{Torso}_Waist Thickness", "value": 0}, {"key": "b_{Torso}_Belly Size", "value": 2},
        {"key": "b_{Torso}_Hips Size", "value": 0}, {"key": "b_{Arms}_Upper Arm Length", "value": 0},
        {"key": "b_{Arms}_Upper Arm Thickness", "value": 0}, {"key": "b_{Arms}_Forearm Length", "value": 1},
        {"key": "b_{Arms}_Forearm Thickness", "value": 0}, {"key": "b_{Legs}_Thigh Length", "value": 0},
        {"key": "b_{Legs}_Thigh Thickness", "value": 1}, {"key": "b_{Legs}_Shin Length", "value": 0},
        {"key": "b_{Legs}_Shin Thickness", "value": 0}, {"key": "b_{Arms}_Hand Width", "value": 0},
        {"key": "b_{Arms}_Hand Thickness", "value": 0}, {"key": "b_{Legs}_Foot Length", "value": 1}],
    "body_dimension_lengths": [{"key": "spine", "value": {"x": 1.1, "y": 1.2, "z": 1.1}}],
    "hairstyle": "10", "hair_color": "6B4F30FF", "camera_view": "Front", "view_mode": 0, "expression": "Kiss",
    "background_color_hex": "FFE4DBFF", "gender": "Female",
}
SEED_APPAREL = {"brand": "brand", "item_id": "LongSleeve", "color": "Black", "size": "M", "size2": "L"}
SEED_IMAGE = {"user_details": SEED_DETAILS, "apparel_details": SEED_APPAREL,
              "image_options": {"quality": 100, "thumbnail_width": 128}}
SEED_VIDEO = {"user_details": SEED_DETAILS, "apparel_details": SEED_APPAREL,
              "video_options": {"pixverse": True, "duration": 5, "negative_prompt": "", "prompt": "", "seed": 0}}
